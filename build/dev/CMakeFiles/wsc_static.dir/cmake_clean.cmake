file(REMOVE_RECURSE
  "libwsc.a"
  "libwsc.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/wsc_static.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
