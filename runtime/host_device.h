// P2P_HD marks a function that both the host code and the CUDA kernels call (one written definition
// for the CPU reference and the kernel): __host__ __device__ under nvcc, a plain inline function for
// g++ (the CPU build, and the CUDA emulation, whose kernels are host code).
#pragma once

#if defined(__CUDACC__)
#define P2P_HD __host__ __device__ __forceinline__
#else
#define P2P_HD inline
#endif
