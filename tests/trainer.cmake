# Tests of the trainer area: checkpoints (safetensors), the Pix2Pix model, the command-line tool.
p2p_cpu_test(test_safetensors SOURCES test_safetensors.cpp)
