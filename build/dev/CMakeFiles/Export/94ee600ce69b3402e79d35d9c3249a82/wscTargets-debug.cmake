#----------------------------------------------------------------
# Generated CMake target import file for configuration "Debug".
#----------------------------------------------------------------

# Commands may need to know the format version.
set(CMAKE_IMPORT_FILE_VERSION 1)

# Import target "wsc::wsc" for configuration "Debug"
set_property(TARGET wsc::wsc APPEND PROPERTY IMPORTED_CONFIGURATIONS DEBUG)
set_target_properties(wsc::wsc PROPERTIES
  IMPORTED_LOCATION_DEBUG "${_IMPORT_PREFIX}/lib/libwsc.so.0.1.0"
  IMPORTED_SONAME_DEBUG "libwsc.so.0"
  )

list(APPEND _cmake_import_check_targets wsc::wsc )
list(APPEND _cmake_import_check_files_for_wsc::wsc "${_IMPORT_PREFIX}/lib/libwsc.so.0.1.0" )

# Import target "wsc::wsc_static" for configuration "Debug"
set_property(TARGET wsc::wsc_static APPEND PROPERTY IMPORTED_CONFIGURATIONS DEBUG)
set_target_properties(wsc::wsc_static PROPERTIES
  IMPORTED_LINK_INTERFACE_LANGUAGES_DEBUG "C"
  IMPORTED_LOCATION_DEBUG "${_IMPORT_PREFIX}/lib/libwsc.a"
  )

list(APPEND _cmake_import_check_targets wsc::wsc_static )
list(APPEND _cmake_import_check_files_for_wsc::wsc_static "${_IMPORT_PREFIX}/lib/libwsc.a" )

# Commands beyond this point should not need to know the version.
set(CMAKE_IMPORT_FILE_VERSION)
