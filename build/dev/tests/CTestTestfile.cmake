# CMake generated Testfile for 
# Source directory: /work/main/tests
# Build directory: /work/main/build/dev/tests
# 
# This file includes the relevant testing commands required for 
# testing this directory and lists subdirectories to be tested as well.
add_test([=[unit.models.error]=] "/work/main/build/dev/tests/test_unit_models_error")
set_tests_properties([=[unit.models.error]=] PROPERTIES  ENVIRONMENT "WSC_TEST_SRC=/work/main" LABELS "unit" TIMEOUT "60" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;20;add_test;/work/main/tests/CMakeLists.txt;35;wsc_add_test;/work/main/tests/CMakeLists.txt;0;")
