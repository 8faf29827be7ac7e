
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/tests/unit/models/test_error.c" "tests/CMakeFiles/test_unit_models_error.dir/unit/models/test_error.c.o" "gcc" "tests/CMakeFiles/test_unit_models_error.dir/unit/models/test_error.c.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  "/work/main/build/dev/tests/CMakeFiles/wsc_test_support.dir/DependInfo.cmake"
  "/work/main/build/dev/CMakeFiles/wsc_static.dir/DependInfo.cmake"
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
