//! Sans-IO IVR: script language, validation with line numbers, interpreter
