"""`function(...) external {java: {class: ..., method signature: ...}}`: no Java runs here. A
fixed list of side-effect-free static methods of java.lang (Math, the number wrappers' valueOf,
String.valueOf/format) is mapped to Python; any other class or method gives null, so a model can
never reach the file system, the network or reflection through an external function."""

import decimal
import math
import re

from .values import Decimal

NUMBER_TYPES = {
    "double",
    "float",
    "int",
    "long",
    "short",
    "byte",
    "java.lang.Double",
    "java.lang.Float",
    "java.lang.Integer",
    "java.lang.Long",
    "java.lang.Short",
    "java.lang.Byte",
}
INTEGER_TYPES = {
    "int",
    "long",
    "short",
    "byte",
    "java.lang.Integer",
    "java.lang.Long",
    "java.lang.Short",
    "java.lang.Byte",
}
SIGNATURE = re.compile(r"^\s*([A-Za-z_]\w*)\s*\(([^()]*)\)\s*$")


def _number(value, java_type):
    if type(value) is not Decimal:
        raise TypeError("not a number")
    if java_type in INTEGER_TYPES:
        if value != value.to_integral_value():
            raise TypeError("not an integer")
        return int(value)
    return float(value)


def _to_feel(value):
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else Decimal(repr(value))
    return None


MATH = {
    "max": max,
    "min": min,
    "abs": abs,
    "cos": math.cos,
    "sin": math.sin,
    "tan": math.tan,
    "acos": math.acos,
    "asin": math.asin,
    "atan": math.atan,
    "sqrt": math.sqrt,
    "exp": math.exp,
    "log": math.log,
    "log10": math.log10,
    "floor": math.floor,
    "ceil": math.ceil,
    "pow": math.pow,
    "signum": lambda x: (x > 0) - (x < 0),
    "toRadians": math.radians,
    "toDegrees": math.degrees,
}
NUMBER_CLASSES = {
    "java.lang.Integer": int,
    "java.lang.Long": int,
    "java.lang.Short": int,
    "java.lang.Byte": int,
    "java.lang.Double": float,
    "java.lang.Float": float,
}


def _value_of(class_name, parameter_type, argument):
    if parameter_type == "java.lang.String":
        if type(argument) is not str:
            raise TypeError("not a string")
        return Decimal(argument) if NUMBER_CLASSES[class_name] is float else Decimal(int(argument))
    return Decimal(_number(argument, parameter_type))


def _java_format(pattern, *arguments):
    """java.lang.String.format for %s, %d and %f style conversions."""
    values = iter(arguments)

    def convert(match):
        if match.group() == "%%":
            return "%"
        if match.group() == "%n":
            return "\n"
        value = next(values)
        conversion = match.group(1)
        if conversion.endswith("s"):
            from .builtins import to_text

            return ("%" + conversion) % to_text(value)
        if type(value) is not Decimal:
            raise TypeError("not a number")
        return ("%" + conversion) % (int(value) if conversion.endswith("d") else float(value))

    return re.sub(r"%%|%n|%([-#+ 0,(]*\d*(?:\.\d+)?[sdf])", convert, pattern)


def java_function(specification):
    """The Python callable standing for a Java static method, or None when it is not on the list."""
    if type(specification) is not dict or type(specification.get("java")) is not dict:
        return None
    java = specification["java"]
    class_name, signature = java.get("class"), java.get("method signature")
    if type(class_name) is not str or type(signature) is not str:
        return None
    match = SIGNATURE.match(signature)
    if not match:
        return None
    method = match.group(1)
    parameter_types = [t.strip() for t in match.group(2).split(",") if t.strip()]
    if class_name == "java.lang.Math" and method in MATH and all(t in NUMBER_TYPES for t in parameter_types):
        operation = MATH[method]

        def math_call(*arguments):
            return _to_feel(operation(*(_number(a, t) for a, t in zip(arguments, parameter_types))))

        return math_call
    if class_name in NUMBER_CLASSES and method == "valueOf" and len(parameter_types) == 1:
        return lambda argument: _value_of(class_name, parameter_types[0], argument)
    if class_name == "java.lang.String" and method == "valueOf" and parameter_types == ["char"]:
        return lambda argument: argument if type(argument) is str and len(argument) == 1 else None
    if class_name == "java.lang.String" and method == "format" and parameter_types[:1] == ["java.lang.String"]:
        return lambda pattern, *arguments: _java_format(pattern, *arguments) if type(pattern) is str else None
    return None


def guarded(function):
    """Null instead of an exception for arguments the Java method would not take."""

    def call(*arguments):
        try:
            return function(*arguments)
        except (TypeError, ValueError, ArithmeticError, OverflowError, StopIteration, decimal.InvalidOperation):
            return None

    return call
