// The CUDA driver API, loaded at run time with dlopen("libcuda.so.1"): nothing in
// vibee links libcuda or cudart, so everything builds and the CPU path runs on a
// machine without a GPU or a CUDA driver (docs/gpu.md). Self-contained (no
// cuda.h): the few types and constants used are declared here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace vibee::cuda {

using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUcontext = struct CUctx_st *;
using CUmodule = struct CUmod_st *;
using CUfunction = struct CUfunc_st *;
using CUstream = struct CUstream_st *;
using CUevent = struct CUevent_st *;
using CUmemoryPool = struct CUmemPoolHandle_st *;

// Errors of the driver and of the loader, with what was being done.
struct CudaError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Driver {
  CUresult (*cuInit)(unsigned);
  CUresult (*cuDeviceGet)(CUdevice *, int);
  CUresult (*cuDeviceGetCount)(int *);
  CUresult (*cuDeviceGetName)(char *, int, CUdevice);
  CUresult (*cuDeviceGetAttribute)(int *, int, CUdevice);
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*cuCtxGetCurrent)(CUcontext *);
  CUresult (*cuCtxSetCurrent)(CUcontext);
  CUresult (*cuCtxSynchronize)();
  CUresult (*cuModuleLoadData)(CUmodule *, const void *);
  CUresult (*cuModuleLoadDataEx)(CUmodule *, const void *, unsigned, int *, void **);
  CUresult (*cuModuleUnload)(CUmodule);
  CUresult (*cuModuleGetFunction)(CUfunction *, CUmodule, const char *);
  CUresult (*cuLaunchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,
                             unsigned, CUstream, void **, void **);
  CUresult (*cuMemAlloc)(CUdeviceptr *, size_t);
  CUresult (*cuMemFree)(CUdeviceptr);
  CUresult (*cuMemAllocAsync)(CUdeviceptr *, size_t, CUstream);
  CUresult (*cuMemFreeAsync)(CUdeviceptr, CUstream);
  CUresult (*cuDeviceGetDefaultMemPool)(CUmemoryPool *, CUdevice);
  CUresult (*cuMemPoolSetAttribute)(CUmemoryPool, int, void *);
  CUresult (*cuMemcpyHtoD)(CUdeviceptr, const void *, size_t);
  CUresult (*cuMemcpyDtoH)(void *, CUdeviceptr, size_t);
  CUresult (*cuMemsetD8)(CUdeviceptr, unsigned char, size_t);
  CUresult (*cuMemsetD8Async)(CUdeviceptr, unsigned char, size_t, CUstream);
  CUresult (*cuMemcpyDtoHAsync)(void *, CUdeviceptr, size_t, CUstream);
  CUresult (*cuStreamSynchronize)(CUstream);
  CUresult (*cuGetErrorName)(CUresult, const char **);
  CUresult (*cuGetErrorString)(CUresult, const char **);
  CUresult (*cuFuncSetAttribute)(CUfunction, int, int);
  // (CUtensorMap *, CUtensorMapDataType, rank, address, dims, strides, box,
  //  element strides, interleave, swizzle, L2 promotion, OOB fill)
  CUresult (*cuTensorMapEncodeTiled)(void *, int, unsigned, void *, const unsigned long long *,
                                     const unsigned long long *, const unsigned *, const unsigned *,
                                     int, int, int, int);
  CUdevice device = 0;
  CUcontext context = nullptr;
};

// True when libcuda loads, initializes and has a device; else `why` says why.
bool available(std::string *why = nullptr);

// The loaded driver with device 0's primary context current on this thread;
// throws CudaError when there is none.
const Driver &driver();

// "CUDA_ERROR_X: description" (also when the driver itself is missing).
std::string errorText(CUresult result);

// Throws CudaError("<where>: <call>: <error text>") unless `result` is 0.
void check(CUresult result, const char *call, const std::string &where);

// Device name and multiprocessor count of device 0 (for reports and grid sizing).
std::string deviceName();
int multiprocessorCount();

} // namespace vibee::cuda

// The C interface of the runtime for generated host code and foreign callers
// (ctypes): the stream that launches use, and the first CUDA error recorded.
extern "C" {
// Launches and temporary allocations of the calling thread go to `stream`
// (a CUstream / cudaStream_t; null = the legacy default stream).
void vibee_cuda_set_stream(void *stream);
void *vibee_cuda_get_stream(void);
// 1: synchronize the stream after every kernel call (debugging); default 0.
void vibee_cuda_set_sync(int sync);
// The first CUDA error since the last clear, naming the GPU kernel; null if none.
const char *vibee_cuda_last_error(void);
void vibee_cuda_clear_error(void);
// cuCtxSynchronize; returns 0 or the CUresult, recording it as an error.
int vibee_cuda_synchronize(void);
// Multiprocessor count of the device (cached), for grid sizing.
int32_t vibee_cuda_sm_count(void);
// The device address of a 3-D TMA tensor map (inner, rows, batch; strides in
// bytes; box inner x rows x 1; 128-byte swizzle, zeros out of bounds) over the
// 2-byte elements at `base` (dtype: CUtensorMapDataType). Cached per context
// and content, so a repeated call costs a lookup. 0 when a dim is 0 (nothing
// to load) or on failure (recorded).
intptr_t vibee_cuda_tensor_map(intptr_t base, int64_t dtype, int64_t inner, int64_t rows,
                               int64_t batch, int64_t rowStride, int64_t batchStride,
                               int64_t boxInner, int64_t boxRows);
// Kernels with gathers (vibee-gpu-gather-checks): `flags` is the device address of
// two i64, [outside, index]. clear zeroes them on the current stream; check copies
// them back (synchronizing the stream) and, when a kernel found an index outside its
// axis, records the error. vibee_cuda_gather_failed: 1 when this thread's last
// check did (*index: one such index), until vibee_cuda_clear_error.
void vibee_cuda_gather_flags_clear(int64_t flags);
void vibee_cuda_gather_flags_check(int64_t flags);
int vibee_cuda_gather_failed(int64_t *index);
// Frees the current context's cached tensor maps after synchronizing it (a host
// that shuts down cleanly, or checks device leaks, calls it before exit; a later
// call of a kernel encodes its maps again).
void vibee_cuda_release_tensor_maps(void);
}
