// The generated host file of specs/nn/softmax.vibee (--emit=cuda-host) without a
// usable GPU (CI: libcuda is the toolkit's stub): every entry returns an error
// naming the spec's kernel and the failing driver call, nothing crashes, and no
// device code counts as loaded. Exit 0 when so; on a machine with a GPU, R = 0
// launches nothing and the calls succeed (also exit 0).
#define VIBEE_CUDA_HOST_DECLARATIONS_ONLY
#include "softmax_cuda.cpp"

#include <cstdio>
#include <cstring>
#include <string>

static int expectError(const char *what, const char *error, const char *kernel) {
  if (!error) {
    std::printf("%s: no error (a GPU is present)\n", what);
    return 0;
  }
  std::printf("%s: %s\n", what, error);
  std::string prefix = std::string("vibee ") + kernel + ": cuInit: ";
  if (std::strncmp(error, prefix.c_str(), prefix.size()) != 0) {
    std::printf("FAIL: expected the error to start with '%s'\n", prefix.c_str());
    return 1;
  }
  return 0;
}

int main() {
  int failures = 0;
  float *x = nullptr, *y = nullptr; // never read: R = 0, and no GPU
  failures += expectError("C entry", vibee_softmax_softmax(x, y, 0, 8), "softmax.softmax");
  failures +=
      expectError("C++ wrapper on a stream",
                  vibee::cuda::softmax::softmax(x, y, 0, 8, CUstream(nullptr)), "softmax.softmax");
  int64_t rows = 0, cols = 8;
  void *args[] = {&x, &y, &rows, &cols};
  failures +=
      expectError("packed bf16", vibee_softmax_softmax_bf16_packed(args), "softmax.softmax_bf16");
  if (vibee_softmax_cuda_image() != nullptr) {
    std::printf("FAIL: device code reported loaded without a GPU\n");
    ++failures;
  }
  return failures ? 1 : 0;
}
