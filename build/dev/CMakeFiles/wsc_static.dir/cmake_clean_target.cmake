file(REMOVE_RECURSE
  "libwsc.a"
)
