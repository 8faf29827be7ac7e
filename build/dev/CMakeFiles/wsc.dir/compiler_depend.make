# Empty compiler generated dependencies file for wsc.
# This may be replaced when dependencies are built.
