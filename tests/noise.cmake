# The DCGAN, the VAE and their data (helper "noise"): models, the image folder and the grid writer.
p2p_cpu_test(test_noise SOURCES test_dcgan.cpp test_vae.cpp test_image_folder.cpp LIBS p2p_models p2p_data)
p2p_gpu_test(gpu_test_noise SOURCES gpu_test_noise.cpp LIBS p2p_models p2p_data)
