"""The wheel carries a native library loaded with ctypes, not a CPython extension: it is for
one platform (linux_x86_64) but any Python 3, hence the `py3-none-<platform>` tag."""

from setuptools import setup
from setuptools.command.bdist_wheel import bdist_wheel
from setuptools.dist import Distribution


class NativeDistribution(Distribution):
    """Installed as platform-specific files (the library), at the wheel's root."""

    def has_ext_modules(self):
        return True


class PlatformWheel(bdist_wheel):
    def finalize_options(self):
        super().finalize_options()
        self.root_is_pure = False

    def get_tag(self):
        _, _, platform = super().get_tag()
        return "py3", "none", platform


setup(cmdclass={"bdist_wheel": PlatformWheel}, distclass=NativeDistribution)
