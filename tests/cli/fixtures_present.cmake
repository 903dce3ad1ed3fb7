# Fails, naming the folder, when the reference fixtures are not where the tests read them:
# $KVCHAIN_FIXTURES when set, else the folder the build was configured with (DIR).
if(DEFINED ENV{KVCHAIN_FIXTURES})
  set(DIR "$ENV{KVCHAIN_FIXTURES}")
endif()
if(NOT IS_DIRECTORY "${DIR}/tiny-llama")
  message(FATAL_ERROR "error: the reference fixtures are missing: ${DIR}/tiny-llama is not a "
                      "folder (configure with -DKVCHAIN_FIXTURES_DIR=..., or set KVCHAIN_FIXTURES)")
endif()
message(STATUS "fixtures present: ${DIR}")
