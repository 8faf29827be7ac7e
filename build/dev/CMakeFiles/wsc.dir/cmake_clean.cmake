file(REMOVE_RECURSE
  "libwsc.pdb"
  "libwsc.so"
  "libwsc.so.0"
  "libwsc.so.0.1.0"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/wsc.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
