# CycleGAN: the image pool and the CycleGAN model (helper "cycle").
p2p_cpu_test(test_cycle SOURCES test_image_pool.cpp LIBS p2p_models)
