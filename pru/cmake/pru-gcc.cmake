# CMake toolchain for the GNU PRU toolchain (pru-gcc, e.g. from
# https://github.com/dinuxbg/gnupru or BeagleBoard's gcc-pru package):
#   cmake -S pru -B build-pru -DCMAKE_TOOLCHAIN_FILE=pru/cmake/pru-gcc.cmake
# Not built in CI (Debian 12 has no PRU compiler).
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR pru)
set(CMAKE_C_COMPILER pru-gcc)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_C_FLAGS_INIT "-Os -ffreestanding -Wall -Wextra")
set(CMAKE_EXECUTABLE_SUFFIX "")
# -mmcu selects the core's memory map (am335x.pru0 / am335x.pru1).
set(PRUDAQ_PRU_TARGET gcc)
set(PRUDAQ_PRU_MCU am335x.pru)
