# The course's Jupyter kernels (installed into .venv/etc/ipython/ by `make`).
# Output that C and C++ libraries write straight to the process's stderr, such as TensorFlow's
# start-up lines ("oneDNN custom operations are on ...", "All log messages before
# absl::InitializeLog() ..."), stays out of the notebooks: it goes to the terminal that started
# Jupyter (or to build/logs/<notebook>.kernel.log under `make course`). TF_CPP_MIN_LOG_LEVEL cannot
# silence those lines, and setting it in a notebook comes after TensorFlow has loaded. Python's
# own output, warnings and errors are shown in the notebook as usual.
c.IPKernelApp.capture_fd_output = False  # noqa: F821 - `c` is IPython's config object
