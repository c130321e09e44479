// Where tensors live, and what this build and machine can do.
#pragma once
#include <string>

namespace p2p {

enum class Device { CPU, CUDA };

const char* device_name(Device d);
Device parse_device(const std::string& s);  // "cpu" | "cuda"; anything else is an error

bool built_with_cuda();
// True in the CUDA emulation build (runtime/emu): "cuda" tensors live in host memory and the CUDA
// kernels run on the CPU.
bool cuda_emulated();
// True when this build has CUDA and a GPU is present and usable.
bool cuda_available();
// A line describing the GPU (name, compute capability, memory), or why there is none.
std::string cuda_device_info();
// Waits for all queued GPU work; a no-op without CUDA.
void synchronize();

}  // namespace p2p
