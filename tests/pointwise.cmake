# Pointwise ops: activations, dropout, concat, losses, Adam (and elementwise's axpy on the GPU).
set(P2P_POINTWISE_LIBS p2p_activation p2p_dropout p2p_concat p2p_loss p2p_adam p2p_elementwise)
p2p_cpu_test(test_pointwise SOURCES test_activation.cpp test_dropout.cpp test_concat.cpp test_loss.cpp test_adam.cpp
             LIBS ${P2P_POINTWISE_LIBS})
