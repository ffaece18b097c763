"""
A USB ticket printer as a pyusb backend: python-escpos's ``Usb`` and pyusb run
for real on top of it, only libusb and the device are replaced.

One device (``0x0416:0x5011`` by default) with one interface and two bulk
endpoints, OUT ``0x01`` and IN ``0x82``, as python-escpos expects by default.
Bytes written to OUT go to a :class:`~tests.hardware.conftest.StatusAnswerer`;
its answers to ``DLE EOT`` are read from IN. A read with nothing to read, and a
write while :attr:`UsbPrinter.stalled`, wait their timeout and raise
``usb.core.USBTimeoutError``, as the libusb backend does.
"""

from __future__ import annotations

import array
import errno
import time
from types import SimpleNamespace
from typing import Any

import usb.backend
import usb.core

from .conftest import READY, StatusAnswerer

OUT_EP, IN_EP = 0x01, 0x82
_BULK = 0x02


class UsbPrinter(usb.backend.IBackend):  # type: ignore[misc]
    """A pyusb backend with one ESC/POS printer on it."""

    def __init__(self, answers: dict[int, int] | None = READY, vendor: int = 0x0416, product: int = 0x5011):
        self.answerer = StatusAnswerer(answers)
        self.vendor, self.product = vendor, product
        self.stalled = False
        """Writes time out: the printer takes no data."""
        self.plugged = True
        """False: the device is gone; every call fails with ENODEV."""
        self.read_timeouts: list[int] = []
        """The timeout (ms) of each read, as pyusb passed it."""
        self._pending = bytearray()

    def _check(self) -> None:
        if not self.plugged:
            raise usb.core.USBError("No such device (it may have been disconnected)", errno=errno.ENODEV)

    # -- descriptors ---------------------------------------------------------------

    def enumerate_devices(self) -> Any:
        if self.plugged:
            yield "printer"

    def get_device_descriptor(self, dev: Any) -> Any:
        return SimpleNamespace(
            bLength=18,
            bDescriptorType=1,
            bcdUSB=0x0200,
            bDeviceClass=0,
            bDeviceSubClass=0,
            bDeviceProtocol=0,
            bMaxPacketSize0=64,
            idVendor=self.vendor,
            idProduct=self.product,
            bcdDevice=0x0100,
            iManufacturer=0,
            iProduct=0,
            iSerialNumber=0,
            bNumConfigurations=1,
            address=2,
            bus=1,
            port_number=1,
            port_numbers=(1,),
            speed=3,
        )

    def get_configuration_descriptor(self, dev: Any, config: int) -> Any:
        if config != 0:
            raise IndexError(config)
        return SimpleNamespace(
            bLength=9,
            bDescriptorType=2,
            wTotalLength=32,
            bNumInterfaces=1,
            bConfigurationValue=1,
            iConfiguration=0,
            bmAttributes=0xC0,
            bMaxPower=50,
            extra_descriptors=[],
        )

    def get_interface_descriptor(self, dev: Any, intf: int, alt: int, config: int) -> Any:
        if (intf, alt, config) != (0, 0, 0):
            raise IndexError((intf, alt, config))
        return SimpleNamespace(
            bLength=9,
            bDescriptorType=4,
            bInterfaceNumber=0,
            bAlternateSetting=0,
            bNumEndpoints=2,
            bInterfaceClass=7,  # printer
            bInterfaceSubClass=1,
            bInterfaceProtocol=2,
            iInterface=0,
            extra_descriptors=[],
        )

    def get_endpoint_descriptor(self, dev: Any, ep: int, intf: int, alt: int, config: int) -> Any:
        if ep not in (0, 1):
            raise IndexError(ep)
        return SimpleNamespace(
            bLength=7,
            bDescriptorType=5,
            bEndpointAddress=(OUT_EP, IN_EP)[ep],
            bmAttributes=_BULK,
            wMaxPacketSize=64,
            bInterval=0,
            bRefresh=0,
            bSynchAddress=0,
            extra_descriptors=[],
        )

    # -- the device ----------------------------------------------------------------

    def open_device(self, dev: Any) -> Any:
        self._check()
        return SimpleNamespace(dev=dev)

    def close_device(self, dev_handle: Any) -> None:
        pass

    def set_configuration(self, dev_handle: Any, config_value: int) -> None:
        self._check()

    def get_configuration(self, dev_handle: Any) -> int:
        self._check()
        return 1

    def set_interface_altsetting(self, dev_handle: Any, intf: int, altsetting: int) -> None:
        self._check()

    def claim_interface(self, dev_handle: Any, intf: int) -> None:
        self._check()

    def release_interface(self, dev_handle: Any, intf: int) -> None:
        pass

    def reset_device(self, dev_handle: Any) -> None:
        self._check()

    def bulk_write(self, dev_handle: Any, ep: int, intf: int, data: array.array[int], timeout: int) -> int:
        self._check()
        assert ep == OUT_EP, f"write to endpoint {ep:#x}"
        if self.stalled:
            time.sleep(timeout / 1000)
            raise usb.core.USBTimeoutError("Operation timed out", errno=errno.ETIMEDOUT)
        self._pending += self.answerer.take(data.tobytes())
        return len(data)

    def bulk_read(self, dev_handle: Any, ep: int, intf: int, buff: array.array[int], timeout: int) -> int:
        self._check()
        assert ep == IN_EP, f"read from endpoint {ep:#x}"
        self.read_timeouts.append(timeout)
        if not self._pending:
            time.sleep(timeout / 1000)
            raise usb.core.USBTimeoutError("Operation timed out", errno=errno.ETIMEDOUT)
        n = min(len(buff), len(self._pending))
        buff[:n] = array.array("B", self._pending[:n])
        del self._pending[:n]
        return n
