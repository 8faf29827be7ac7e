file(REMOVE_RECURSE
  "CMakeFiles/wsc_objects.dir/src/loop/loop.c.o"
  "CMakeFiles/wsc_objects.dir/src/loop/loop.c.o.d"
  "CMakeFiles/wsc_objects.dir/src/models/alloc.c.o"
  "CMakeFiles/wsc_objects.dir/src/models/alloc.c.o.d"
  "CMakeFiles/wsc_objects.dir/src/models/error.c.o"
  "CMakeFiles/wsc_objects.dir/src/models/error.c.o.d"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/wsc_objects.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
