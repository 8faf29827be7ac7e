file(REMOVE_RECURSE
  "CMakeFiles/wsc_test_support.dir/support/placeholder.c.o"
  "CMakeFiles/wsc_test_support.dir/support/placeholder.c.o.d"
  "libwsc_test_support.a"
  "libwsc_test_support.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/wsc_test_support.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
