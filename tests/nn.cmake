# nn layers and models (helper "nn").
p2p_cpu_test(test_nn SOURCES test_nn.cpp test_models.cpp LIBS p2p_models)
p2p_gpu_test(gpu_test_models SOURCES gpu_test_models.cpp LIBS p2p_models)
