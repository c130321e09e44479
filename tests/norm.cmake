# Batch norm and instance norm: CPU reference checks (the CUDA kernels: tests/ops.cmake).
# Instance norm is built on batch norm's reference and kernels, so it links first.
p2p_cpu_test(test_norm SOURCES test_batch_norm2d.cpp test_instance_norm2d.cpp LIBS p2p_instance_norm2d p2p_batch_norm2d)
