# storegate_add_plugin(<name> SOURCES <files...> [LIBRARIES <libs...>]
#                      [DEFINITIONS <defs...>] [OUTPUT_DIRECTORY <dir>])
#
# OUTPUT_DIRECTORY defaults to ${STOREGATE_PLUGIN_OUTPUT_DIR} when that is set; when
# ${STOREGATE_PLUGIN_INSTALL_DIR} is set the plugin is also installed there, as install
# component ${STOREGATE_PLUGIN_INSTALL_COMPONENT} (default: plugins).
#
# Builds a storegate plugin as a MODULE library named <name>.so with the house rules:
# hidden visibility, only `storegate_plugin_query` exported (version script), no
# STB_GNU_UNIQUE symbols (so dlclose can really unload it) and no undefined symbols.
# In-tree plugins and vendors' out-of-tree plugins build through this same function.
include_guard(GLOBAL)
set(_STOREGATE_PLUGIN_MAP "${CMAKE_CURRENT_LIST_DIR}/plugin.map" CACHE INTERNAL "")

function(storegate_add_plugin name)
  cmake_parse_arguments(ARG "" "OUTPUT_DIRECTORY" "SOURCES;LIBRARIES;DEFINITIONS" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "storegate_add_plugin(${name}): SOURCES is required")
  endif()
  add_library(${name} MODULE ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE Storegate::sdk ${ARG_LIBRARIES})
  if(ARG_DEFINITIONS)
    target_compile_definitions(${name} PRIVATE ${ARG_DEFINITIONS})
  endif()
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    CXX_VISIBILITY_PRESET hidden
    C_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LINK_DEPENDS "${_STOREGATE_PLUGIN_MAP}")
  if(NOT ARG_OUTPUT_DIRECTORY AND STOREGATE_PLUGIN_OUTPUT_DIR)
    set(ARG_OUTPUT_DIRECTORY "${STOREGATE_PLUGIN_OUTPUT_DIR}")
  endif()
  if(ARG_OUTPUT_DIRECTORY)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${ARG_OUTPUT_DIRECTORY}")
  endif()
  if(STOREGATE_PLUGIN_INSTALL_DIR)
    set(_component plugins)
    if(STOREGATE_PLUGIN_INSTALL_COMPONENT)
      set(_component ${STOREGATE_PLUGIN_INSTALL_COMPONENT})
    endif()
    install(TARGETS ${name} LIBRARY DESTINATION "${STOREGATE_PLUGIN_INSTALL_DIR}"
      COMPONENT ${_component})
  endif()
  target_compile_options(${name} PRIVATE
    $<$<COMPILE_LANG_AND_ID:CXX,GNU>:-fno-gnu-unique>)
  # -z defs: no undefined symbols — except under ThreadSanitizer, whose runtime lives in
  # the executable that loads the plugin (storegate's own TSan job sets STOREGATE_TSAN).
  if(STOREGATE_TSAN)
    set(_defs "")
  else()
    set(_defs "LINKER:-z,defs")
  endif()
  target_link_options(${name} PRIVATE "LINKER:--version-script=${_STOREGATE_PLUGIN_MAP}" ${_defs})
endfunction()
