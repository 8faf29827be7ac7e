file(REMOVE_RECURSE
  "CMakeFiles/test_unit_models_error.dir/unit/models/test_error.c.o"
  "CMakeFiles/test_unit_models_error.dir/unit/models/test_error.c.o.d"
  "test_unit_models_error"
  "test_unit_models_error.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_unit_models_error.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
