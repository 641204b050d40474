# lit configuration for vibee's golden tests.
import os
import lit.formats

config.name = "vibee"
config.test_format = lit.formats.ShTest(not lit_config.isWindows)
config.suffixes = [".mlir", ".vibee"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.vibee_obj_root, "tests")
# Not tests: inputs used by other tests, the fuzz corpus, the unit tests.
config.excludes = ["Inputs", "fuzz", "unit", "e2e", "CMakeLists.txt", "lit.cfg.py"]

config.environment["PATH"] = os.pathsep.join(
    [config.vibee_tools_dir, config.llvm_tools_dir, config.environment.get("PATH", "")])
config.substitutions.append(("%vibeec", os.path.join(config.vibee_tools_dir, "vibeec")))
config.substitutions.append(("%vibee-opt", os.path.join(config.vibee_tools_dir, "vibee-opt")))
config.substitutions.append(("%specs", os.path.join(config.vibee_src_root, "specs")))
# The kernel cache of `vibeec test`/`check`: in the build tree, never the user's
# (tests of the cache itself set their own).
config.environment["VIBEE_CACHE_DIR"] = os.path.join(config.vibee_obj_root, "tests", "kernel-cache")

# The CUDA toolkit's assembler, when present (CI machines have it; the tests
# that assemble PTX say `REQUIRES: ptxas`).
_cuda = os.environ.get("CUDA_HOME", "/usr/local/cuda")
if os.path.exists(os.path.join(_cuda, "bin", "ptxas")):
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", os.path.join(_cuda, "bin", "ptxas")))
