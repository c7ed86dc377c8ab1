# Shared by the interface packages of aca_sim (included from their CMakeLists.txt).
# The ros-jazzy-* wheels from PyPI export include directories of the machine they were built on
# (/opt/python/...), which breaks cmake's generate step. Only when building against those wheels
# (ACA_PYPI_ROS=ON, set by the project's Makefile) point the imported python-generator targets at
# this interpreter's headers. A normal ROS 2 install never takes this branch.
option(ACA_PYPI_ROS "Building against ROS 2 wheels from PyPI" OFF)
if(ACA_PYPI_ROS)
  find_package(Python3 REQUIRED COMPONENTS Interpreter Development NumPy)
  get_directory_property(_imported_targets IMPORTED_TARGETS)
  foreach(_target IN LISTS _imported_targets)
    if(_target MATCHES "__rosidl_generator_py$")
      set_target_properties(${_target} PROPERTIES
        INTERFACE_INCLUDE_DIRECTORIES "${Python3_INCLUDE_DIRS};${Python3_NumPy_INCLUDE_DIRS}")
    endif()
  endforeach()
endif()
