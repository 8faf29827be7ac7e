# Empty compiler generated dependencies file for wsc_test_support.
# This may be replaced when dependencies are built.
