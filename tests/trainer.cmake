# Tests of the trainer area: checkpoints (safetensors), the Pix2Pix model, the command-line tool.
p2p_cpu_test(test_safetensors SOURCES test_safetensors.cpp)
p2p_cpu_test(test_trainer SOURCES test_trainer.cpp LIBS p2p_models p2p_data)
p2p_cpu_test(test_cli SOURCES test_cli.cpp LIBS p2p_cli)
p2p_gpu_test(gpu_test_trainer SOURCES gpu_test_trainer.cpp LIBS p2p_models p2p_data p2p_cli)
