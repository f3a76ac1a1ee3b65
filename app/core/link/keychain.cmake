# kmodscope-keychain: SshSecretStore (QtKeychain) for the GUI, kept out of kmodscope-core so that
# core and the CLI need no D-Bus. Built only when qtkeychain-qt6-dev is installed.
find_package(Qt6 QUIET COMPONENTS DBus)
find_package(Qt6Keychain QUIET)
if(Qt6Keychain_FOUND AND TARGET Qt6::DBus)
    add_library(kmodscope-keychain STATIC ${CMAKE_CURRENT_LIST_DIR}/sshsecretstore.cpp)
    target_link_libraries(kmodscope-keychain PUBLIC kmodscope-core qt6keychain)
endif()
