# Tests of the trainer area: checkpoints (safetensors), the Pix2Pix model, the command-line tool.
p2p_cpu_test(test_safetensors SOURCES test_safetensors.cpp)
p2p_cpu_test(test_trainer SOURCES test_trainer.cpp LIBS p2p_models p2p_data)
