file(REMOVE_RECURSE
  "libwsc_test_support.a"
)
