"""The domain core: pure computation on typed values.

Only the standard library, pydantic and numpy may be imported here: no files, environment,
databases or network. Adapters (kb, intent, deploy, observe) and services do the I/O.
"""
