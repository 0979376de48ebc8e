"""Request and response models, named for their direction (``ConvTraceRequest``, ``ConvTraceResponse``)."""
