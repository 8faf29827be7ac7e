
# Per-language clean rules from dependency scanning.
foreach(lang )
  include(CMakeFiles/wsc_examples_placeholder.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
