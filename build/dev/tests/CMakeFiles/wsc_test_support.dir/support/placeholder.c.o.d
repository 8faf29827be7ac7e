tests/CMakeFiles/wsc_test_support.dir/support/placeholder.c.o: \
 /work/main/tests/support/placeholder.c /usr/include/stdc-predef.h
