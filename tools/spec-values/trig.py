"""Expected values for tests/e2e/builtins.vibee's "sin and cos of large arguments"
behavior: math.sin and math.cos in float64 (independent of vibeec) of f32 inputs that
are exactly representable, so the float64 result rounded to f32 is the correctly
rounded answer a CPU, the GPU and the C++ output must reach within 1e-6."""
import math

xs = [8000.0, 32767.0, 131071.0, -100000.5, 3000000.0]
print("s ~= [" + ", ".join(repr(math.sin(x)) for x in xs) + "]")
print("c ~= [" + ", ".join(repr(math.cos(x)) for x in xs) + "]")
