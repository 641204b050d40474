// Links the CUDA object that vibee_add_kernels(... TARGET cuda) compiled
// (softmax.o + softmax.h, with vibee::cuda_rt): the C entry points and the
// stream-taking C++ wrappers of the header resolve. Running kernels needs a GPU
// and device memory: docs/examples/cuda-host does that.
#include "softmax.h"

#include <cstdio>

int main() {
  const char *(*wrapper)(const float *, float *, int64_t, int64_t, void *) =
      &vibee::cuda::softmax::softmax;
  std::printf("softmax entry at %p, stream wrapper at %p\n", (void *)&vibee_softmax_softmax,
              (void *)wrapper);
  return 0;
}
