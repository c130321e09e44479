# Batch norm and instance norm: CPU reference checks, and the CUDA kernels against the reference.
# Instance norm is built on batch norm's reference and kernels, so it links first.
p2p_cpu_test(test_norm SOURCES test_batch_norm2d.cpp test_instance_norm2d.cpp LIBS p2p_instance_norm2d p2p_batch_norm2d)
p2p_gpu_test(gpu_test_norm SOURCES gpu_test_norm.cpp LIBS p2p_instance_norm2d p2p_batch_norm2d)
