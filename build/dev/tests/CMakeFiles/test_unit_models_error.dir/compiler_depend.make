# Empty compiler generated dependencies file for test_unit_models_error.
# This may be replaced when dependencies are built.
