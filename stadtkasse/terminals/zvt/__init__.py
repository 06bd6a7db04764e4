"""The ZVT protocol (ECR interface of German card terminals) over TCP, without Django.

The cash register (ECR) sends a command APDU, and the payment terminal (PT) acknowledges
it. The PT then sends intermediate status, status information and print lines, and the ECR
acknowledges each of them, until the PT ends the command with a completion or an abort.
The modules:

- apdu: frames (class, instruction, length, data) and their acknowledgements
- bmp: the data fields (bitmaps) inside a frame, with BCD and LLVAR/LLLVAR codecs
- tlv: the BER-TLV container of BMP 06
- messages: builders for the ECR's commands and parsers for the PT's messages
- client: a synchronous TCP client that runs one command dialogue at a time

Field layouts follow the ZVT specification "ECR-Interface ZVT-Protocol" (PA00P015,
revision 13.x) as the C# library Portalum.Zvt implements it (github.com/Portalum/Portalum.Zvt,
ZvtClient.cs and its unit tests, whose published frames the tests here decode).
"""
