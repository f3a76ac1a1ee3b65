list(APPEND KMS_CORE_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/debuginfod.cpp
    ${CMAKE_CURRENT_LIST_DIR}/disassembler.cpp
    ${CMAKE_CURRENT_LIST_DIR}/elfimage.cpp
    ${CMAKE_CURRENT_LIST_DIR}/loadedmodule.cpp
    ${CMAKE_CURRENT_LIST_DIR}/modulecatalog.cpp
    ${CMAKE_CURRENT_LIST_DIR}/pathmap.cpp
    ${CMAKE_CURRENT_LIST_DIR}/sectionstarts.cpp
    ${CMAKE_CURRENT_LIST_DIR}/symbolizer.cpp
)

# Compressed modules: .ko.xz through liblzma (already a dependency of libdw), .ko.zst through
# libzstd when its headers are installed (libzstd-dev), else through the zstd program.
set(KMS_SYMBOLS_DIR ${CMAKE_CURRENT_LIST_DIR})
pkg_check_modules(KMS_LZMA REQUIRED IMPORTED_TARGET liblzma)
pkg_check_modules(KMS_ZSTD QUIET IMPORTED_TARGET libzstd)
function(kms_symbols_link_compression)
    target_link_libraries(kmodscope-core PRIVATE PkgConfig::KMS_LZMA)
    if(KMS_ZSTD_FOUND)
        target_link_libraries(kmodscope-core PRIVATE PkgConfig::KMS_ZSTD)
        set_property(SOURCE ${KMS_SYMBOLS_DIR}/elfimage.cpp
            APPEND PROPERTY COMPILE_DEFINITIONS KMS_HAVE_ZSTD=1)
    endif()
endfunction()
# This file is read before kmodscope-core exists: link once the directory is processed.
cmake_language(DEFER CALL kms_symbols_link_compression)
