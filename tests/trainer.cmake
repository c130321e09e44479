# Tests of the trainer area: checkpoints (safetensors), the Pix2Pix model, the command-line tool.
p2p_cpu_test(test_safetensors SOURCES test_safetensors.cpp)
p2p_cpu_test(test_trainer SOURCES test_trainer.cpp LIBS p2p_models p2p_data)
p2p_cpu_test(test_cli SOURCES test_cli.cpp LIBS p2p_cli)
p2p_gpu_test(gpu_test_trainer SOURCES gpu_test_trainer.cpp LIBS p2p_models p2p_data p2p_cli)
# The shared trainer and tool with --model cycle_gan, and the README's generated option tables.
p2p_cpu_test(test_cycle_cli SOURCES test_cycle_cli.cpp LIBS p2p_cli)
target_compile_definitions(test_cycle_cli PRIVATE P2P_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
# Ctrl-C: the tool itself as a subprocess, interrupted and resumed.
p2p_cpu_test(test_train_signal SOURCES test_train_signal.cpp LIBS p2p_cli)
target_compile_definitions(test_train_signal PRIVATE P2P_TOOL="$<TARGET_FILE:gan>")
add_dependencies(test_train_signal gan)
# The shared trainer and tool with --model dcgan and vae, and the sample command.
p2p_cpu_test(test_noise_cli SOURCES test_noise_cli.cpp LIBS p2p_cli)
# Training health in loss_log.csv (--health-freq): the columns, their values, and no change to training.
p2p_cpu_test(test_health_cli SOURCES test_health_cli.cpp LIBS p2p_cli)
# The training report's parts: charts, page, pictures, atomic write.
p2p_cpu_test(test_report SOURCES test_report.cpp LIBS p2p_cli)
p2p_cpu_test(test_report_cli SOURCES test_report_cli.cpp LIBS p2p_cli)
# The report and the test page in a real browser (headless Chromium; skipped without it).
add_test(NAME report_browser COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/report_browser.sh $<TARGET_FILE:gan>)
set_tests_properties(report_browser PROPERTIES SKIP_RETURN_CODE 77 LABELS cpu)
