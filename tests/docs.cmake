# The docs cannot rot: tools/docs_check.sh runs every ```sh block of docs/*.md against this build
# (training runs shortened to 4 steps by P2P_DOCS_SMALL, except the tour's, whose loss values the
# page pins). In the normal build only: the emulation build's CPU paths are the same code, under the
# sanitizers several times slower. Skipped (77) where a block cannot run (no Chromium).
if(NOT P2P_CUDA_EMULATION)
  add_test(NAME docs COMMAND bash ${PROJECT_SOURCE_DIR}/tools/docs_check.sh ${PROJECT_BINARY_DIR})
  set_tests_properties(docs PROPERTIES ENVIRONMENT P2P_DOCS_SMALL=1 SKIP_RETURN_CODE 77 LABELS cpu)
endif()
