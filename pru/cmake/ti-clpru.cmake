# CMake toolchain for TI's PRU code generation tools (clpru, "PRU-CGT"):
#   cmake -S pru -B build-pru -DCMAKE_TOOLCHAIN_FILE=pru/cmake/ti-clpru.cmake -DPRU_CGT=/path/to/ti-cgt-pru
# Not built in CI (Debian 12 has no PRU compiler). The linker command file is TI's
# AM335x_PRU.cmd from the PRU software support package (PRU_SSP).
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR pru)
set(PRU_CGT "$ENV{PRU_CGT}" CACHE PATH "TI PRU code generation tools")
set(PRU_SSP "$ENV{PRU_SSP}" CACHE PATH "TI PRU software support package")
set(CMAKE_C_COMPILER ${PRU_CGT}/bin/clpru)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_C_FLAGS_INIT "--silicon_version=3 -O2 --c11 -I${PRU_CGT}/include")
set(CMAKE_EXE_LINKER_FLAGS_INIT
    "-z -i${PRU_CGT}/lib --stack_size=0x100 --heap_size=0 --reread_libs --warn_sections ${PRU_SSP}/examples/am335x/PRU_Halt/AM335x_PRU.cmd -llibc.a")
set(PRUDAQ_PRU_TARGET clpru)
