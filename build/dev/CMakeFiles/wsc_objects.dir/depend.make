# Empty dependencies file for wsc_objects.
# This may be replaced when dependencies are built.
