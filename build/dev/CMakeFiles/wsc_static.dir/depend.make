# Empty dependencies file for wsc_static.
# This may be replaced when dependencies are built.
