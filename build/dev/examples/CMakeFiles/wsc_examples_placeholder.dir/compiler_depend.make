# Empty custom commands generated dependencies file for wsc_examples_placeholder.
# This may be replaced when dependencies are built.
