# What `cmake --install` puts beside the programs for a machine that runs
# the server as a service, and the Debian package CPack makes of it all
# (scripts/package). CPack, not a debian/ directory: the install rules
# above are the only description of what goes where, so the package and
# `cmake --install` cannot drift apart, and no second build system
# (debhelper's) has to be kept in step with CMake.

# Man pages gzipped, as Debian wants them (man reads them either way).
# -n: no name or time inside, so the same page gives the same bytes.
find_program(GZIP_PROGRAM gzip REQUIRED)
set(sockchat_man_gz)
foreach(page sockchat.1 sockchat-server.1 sockchat-admin.1)
  set(gz ${PROJECT_BINARY_DIR}/man/${page}.gz)
  add_custom_command(OUTPUT ${gz}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/man
    COMMAND ${GZIP_PROGRAM} -9nc ${PROJECT_SOURCE_DIR}/docs/man/${page} > ${gz}
    DEPENDS ${PROJECT_SOURCE_DIR}/docs/man/${page}
    COMMENT "gzip ${page}" VERBATIM)
  list(APPEND sockchat_man_gz ${gz})
endforeach()
add_custom_target(manpages ALL DEPENDS ${sockchat_man_gz})
install(FILES ${sockchat_man_gz} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

# The unit goes where systemd looks for the prefix: with /usr, where the
# system's systemd says (pkg-config; /lib/systemd/system on Debian 12) and
# its options in /etc/default; otherwise under the prefix (systemd also
# reads /usr/local/lib/systemd/system), relative so that nothing escapes
# `cmake --install --prefix` or DESTDIR. -DSOCKCHAT_SYSTEMD_UNITDIR=DIR
# overrides. The unit names the programs of the prefix configured
# (-DCMAKE_INSTALL_PREFIX), not of one given to cmake --install later.
set(sockchat_etc ${CMAKE_INSTALL_SYSCONFDIR})
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(sockchat_etc ${CMAKE_INSTALL_FULL_SYSCONFDIR}) # /etc, not /usr/etc
  if(NOT SOCKCHAT_SYSTEMD_UNITDIR)
    pkg_get_variable(SOCKCHAT_SYSTEMD_UNITDIR systemd systemdsystemunitdir)
  endif()
endif()
if(NOT SOCKCHAT_SYSTEMD_UNITDIR)
  set(SOCKCHAT_SYSTEMD_UNITDIR lib/systemd/system)
endif()
set(SOCKCHAT_DEFAULT_FILE ${CMAKE_INSTALL_FULL_SYSCONFDIR}/default/sockchat)
configure_file(${CMAKE_CURRENT_LIST_DIR}/sockchat-server.service.in
               ${PROJECT_BINARY_DIR}/sockchat-server.service @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/sockchat-server.service
        DESTINATION ${SOCKCHAT_SYSTEMD_UNITDIR})
install(FILES ${CMAKE_CURRENT_LIST_DIR}/default DESTINATION ${sockchat_etc}/default
        RENAME sockchat)

# Debian's documentation files. A version without a Debian revision makes
# a native package, whose changelog is changelog.gz.
string(TIMESTAMP sockchat_date "%a, %d %b %Y %H:%M:%S +0000" UTC)
set(SOCKCHAT_MAINTAINER "sockchat devs <dev@sockchat.invalid>" CACHE STRING
    "Maintainer field of the Debian package")
file(WRITE ${PROJECT_BINARY_DIR}/changelog
     "sockchat (${PROJECT_VERSION}) unstable; urgency=medium\n\n"
     "  * Built from the sockchat tree with CPack (scripts/package).\n\n"
     " -- ${SOCKCHAT_MAINTAINER}  ${sockchat_date}\n")
add_custom_command(OUTPUT ${PROJECT_BINARY_DIR}/changelog.gz
  COMMAND ${GZIP_PROGRAM} -9nc ${PROJECT_BINARY_DIR}/changelog > ${PROJECT_BINARY_DIR}/changelog.gz
  DEPENDS ${PROJECT_BINARY_DIR}/changelog VERBATIM)
add_custom_target(debian_changelog ALL DEPENDS ${PROJECT_BINARY_DIR}/changelog.gz)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/README.Debian ${CMAKE_CURRENT_LIST_DIR}/copyright
              ${PROJECT_BINARY_DIR}/changelog.gz
        DESTINATION ${CMAKE_INSTALL_DOCDIR})

# The package. Its dependencies are computed by dpkg-shlibdeps from what
# the binaries link (libc6, libncursesw6, libtinfo6, libhiredis0.14, libssl3), never
# written here.
file(WRITE ${PROJECT_BINARY_DIR}/debian-control/conffiles "${SOCKCHAT_DEFAULT_FILE}\n")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME sockchat)
set(CPACK_PACKAGE_VENDOR "the sockchat developers")
set(CPACK_PACKAGE_CONTACT "${SOCKCHAT_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "chat server and terminal client for teaching sockets")
# The summary above is the synopsis line; this is the rest.
string(CONCAT CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "sockchat-server is a multi-threaded chat server that also talks to nc,\n"
    "telnet and a socket tutorial's Python client; sockchat is its ncurses\n"
    "client, and sockchat-admin a dashboard for the operator. A systemd unit\n"
    "runs the server as a hardened service, its transcript kept in\n"
    "/var/lib/sockchat.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # sockchat_VERSION_ARCH.deb
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${PROJECT_BINARY_DIR}/debian-control/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_PACKAGE_DIRECTORY ${PROJECT_BINARY_DIR}/package)
include(CPack)
