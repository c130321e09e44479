# CycleGAN: the image pool and the CycleGAN model (helper "cycle").
p2p_cpu_test(test_cycle SOURCES test_image_pool.cpp test_cycle_gan.cpp LIBS p2p_models)
p2p_gpu_test(gpu_test_cycle SOURCES gpu_test_cycle.cpp LIBS p2p_models)
