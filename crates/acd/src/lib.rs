//! Sans-IO automatic call distribution: FIFO queues, longest-idle agent selection
