//! The service description served at `GET /ws/TraCuuBhxh?wsdl` (WSDL 1.1,
//! document/literal, SOAP 1.1 binding).

use super::{MAX_KEYS, NS};

const TEMPLATE: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<wsdl:definitions name="TraCuuBhxh"
    targetNamespace="{NS}"
    xmlns:tns="{NS}"
    xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"
    xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
    xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <wsdl:documentation>Dịch vụ tra cứu thông tin người tham gia BHXH, quá trình đóng và thẻ BHYT.
    Xác thực: WS-Security UsernameToken (PasswordText) trong soap:Header.
    Tối đa {MAX} mã mỗi yêu cầu. Ngày dạng yyyyMMdd, kỳ đóng dạng MM/yyyy,
    giới tính 1 = Nam, 0 = Nữ.</wsdl:documentation>
  <wsdl:types>
    <xs:schema targetNamespace="{NS}" elementFormDefault="qualified">
      <xs:complexType name="DanhSachMaSoBhxh">
        <xs:sequence><xs:element name="MaSoBhxh" type="xs:string" maxOccurs="{MAX}"/></xs:sequence>
      </xs:complexType>
      <xs:complexType name="DanhSachSoDinhDanh">
        <xs:sequence><xs:element name="SoDinhDanh" type="xs:string" maxOccurs="{MAX}"/></xs:sequence>
      </xs:complexType>
      <xs:complexType name="DanhSachMaThe">
        <xs:sequence><xs:element name="MaThe" type="xs:string" maxOccurs="{MAX}"/></xs:sequence>
      </xs:complexType>
      <xs:complexType name="TraCuuTheoMa">
        <xs:choice>
          <xs:element name="DanhSachMaSoBhxh" type="tns:DanhSachMaSoBhxh"/>
          <xs:element name="DanhSachSoDinhDanh" type="tns:DanhSachSoDinhDanh"/>
        </xs:choice>
      </xs:complexType>
      <xs:complexType name="KetQua">
        <xs:sequence>
          <xs:element name="MaKetQua" type="xs:string"/>
          <xs:element name="ThongDiep" type="xs:string"/>
        </xs:sequence>
      </xs:complexType>
      <xs:complexType name="KhongTimThay">
        <xs:sequence><xs:element name="Ma" type="xs:string" minOccurs="0" maxOccurs="unbounded"/></xs:sequence>
      </xs:complexType>
      <xs:complexType name="NguoiThamGia">
        <xs:sequence>
          <xs:element name="MaSoBhxh" type="xs:string"/>
          <xs:element name="SoDinhDanh" type="xs:string"/>
          <xs:element name="HoTen" type="xs:string"/>
          <xs:element name="NgaySinh" type="xs:string"/>
          <xs:element name="GioiTinh" type="xs:string"/>
          <xs:element name="MaTinh" type="xs:string"/>
          <xs:element name="NgayCapSo" type="xs:string"/>
        </xs:sequence>
      </xs:complexType>
      <xs:complexType name="QuaTrinh">
        <xs:sequence>
          <xs:element name="MaSoBhxh" type="xs:string"/>
          <xs:element name="SoDinhDanh" type="xs:string"/>
          <xs:element name="TuThang" type="xs:string"/>
          <xs:element name="DenThang" type="xs:string" nillable="true"/>
          <xs:element name="MaDonVi" type="xs:string" minOccurs="0"/>
          <xs:element name="TenDonVi" type="xs:string" minOccurs="0"/>
          <xs:element name="MucLuong" type="xs:long"/>
          <xs:element name="LoaiDong" type="xs:string"/>
        </xs:sequence>
      </xs:complexType>
      <xs:complexType name="NoiDangKyKcb">
        <xs:sequence>
          <xs:element name="MaCoSo" type="xs:string"/>
          <xs:element name="TenCoSo" type="xs:string"/>
        </xs:sequence>
      </xs:complexType>
      <xs:complexType name="TheBhyt">
        <xs:sequence>
          <xs:element name="MaThe" type="xs:string"/>
          <xs:element name="MaSoBhxh" type="xs:string"/>
          <xs:element name="SoDinhDanh" type="xs:string"/>
          <xs:element name="HoTen" type="xs:string"/>
          <xs:element name="MaDoiTuong" type="xs:string"/>
          <xs:element name="TenDoiTuong" type="xs:string"/>
          <xs:element name="MucHuong" type="xs:int"/>
          <xs:element name="GiaTriTu" type="xs:string"/>
          <xs:element name="GiaTriDen" type="xs:string"/>
          <xs:element name="NoiDangKyKcb" type="tns:NoiDangKyKcb"/>
        </xs:sequence>
      </xs:complexType>
      <xs:element name="TraCuuNguoiThamGia" type="tns:TraCuuTheoMa"/>
      <xs:element name="TraCuuNguoiThamGiaResponse">
        <xs:complexType><xs:sequence>
          <xs:element name="KetQua" type="tns:KetQua"/>
          <xs:element name="DanhSachNguoiThamGia"><xs:complexType><xs:sequence>
            <xs:element name="NguoiThamGia" type="tns:NguoiThamGia" minOccurs="0" maxOccurs="unbounded"/>
          </xs:sequence></xs:complexType></xs:element>
          <xs:element name="KhongTimThay" type="tns:KhongTimThay" minOccurs="0"/>
        </xs:sequence></xs:complexType>
      </xs:element>
      <xs:element name="TraCuuQuaTrinhDong" type="tns:TraCuuTheoMa"/>
      <xs:element name="TraCuuQuaTrinhDongResponse">
        <xs:complexType><xs:sequence>
          <xs:element name="KetQua" type="tns:KetQua"/>
          <xs:element name="DanhSachQuaTrinh"><xs:complexType><xs:sequence>
            <xs:element name="QuaTrinh" type="tns:QuaTrinh" minOccurs="0" maxOccurs="unbounded"/>
          </xs:sequence></xs:complexType></xs:element>
          <xs:element name="KhongTimThay" type="tns:KhongTimThay" minOccurs="0"/>
        </xs:sequence></xs:complexType>
      </xs:element>
      <xs:element name="TraCuuTheBhyt">
        <xs:complexType><xs:choice>
          <xs:element name="DanhSachMaSoBhxh" type="tns:DanhSachMaSoBhxh"/>
          <xs:element name="DanhSachSoDinhDanh" type="tns:DanhSachSoDinhDanh"/>
          <xs:element name="DanhSachMaThe" type="tns:DanhSachMaThe"/>
        </xs:choice></xs:complexType>
      </xs:element>
      <xs:element name="TraCuuTheBhytResponse">
        <xs:complexType><xs:sequence>
          <xs:element name="KetQua" type="tns:KetQua"/>
          <xs:element name="DanhSachThe"><xs:complexType><xs:sequence>
            <xs:element name="TheBhyt" type="tns:TheBhyt" minOccurs="0" maxOccurs="unbounded"/>
          </xs:sequence></xs:complexType></xs:element>
          <xs:element name="KhongTimThay" type="tns:KhongTimThay" minOccurs="0"/>
        </xs:sequence></xs:complexType>
      </xs:element>
      <xs:element name="KiemTraHoatDong"><xs:complexType/></xs:element>
      <xs:element name="KiemTraHoatDongResponse">
        <xs:complexType><xs:sequence>
          <xs:element name="KetQua" type="tns:KetQua"/>
          <xs:element name="TrangThai" type="xs:string"/>
          <xs:element name="SoNguoiThamGia" type="xs:long"/>
        </xs:sequence></xs:complexType>
      </xs:element>
      <xs:element name="LoiNghiepVu">
        <xs:complexType><xs:sequence>
          <xs:element name="MaLoi" type="xs:string"/>
          <xs:element name="MoTa" type="xs:string"/>
        </xs:sequence></xs:complexType>
      </xs:element>
    </xs:schema>
  </wsdl:types>
{MESSAGES}
  <wsdl:portType name="TraCuuBhxhPortType">
{OPERATIONS}
  </wsdl:portType>
  <wsdl:binding name="TraCuuBhxhBinding" type="tns:TraCuuBhxhPortType">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
{BINDINGS}
  </wsdl:binding>
  <wsdl:service name="TraCuuBhxh">
    <wsdl:port name="TraCuuBhxhPort" binding="tns:TraCuuBhxhBinding">
      <soap:address location="{ADDRESS}"/>
    </wsdl:port>
  </wsdl:service>
</wsdl:definitions>
"#;

const OPERATIONS: [&str; 4] = [
    "TraCuuNguoiThamGia",
    "TraCuuQuaTrinhDong",
    "TraCuuTheBhyt",
    "KiemTraHoatDong",
];

/// The WSDL with `address` as the endpoint.
pub(super) fn document(address: &str) -> String {
    let mut messages = String::from(
        "  <wsdl:message name=\"LoiNghiepVu\"><wsdl:part name=\"detail\" element=\"tns:LoiNghiepVu\"/></wsdl:message>\n",
    );
    let mut operations = String::new();
    let mut bindings = String::new();
    for op in OPERATIONS {
        messages.push_str(&format!(
            "  <wsdl:message name=\"{op}\"><wsdl:part name=\"parameters\" element=\"tns:{op}\"/></wsdl:message>\n\
             \x20 <wsdl:message name=\"{op}Response\"><wsdl:part name=\"parameters\" element=\"tns:{op}Response\"/></wsdl:message>\n"
        ));
        operations.push_str(&format!(
            "    <wsdl:operation name=\"{op}\"><wsdl:input message=\"tns:{op}\"/><wsdl:output message=\"tns:{op}Response\"/>\
             <wsdl:fault name=\"LoiNghiepVu\" message=\"tns:LoiNghiepVu\"/></wsdl:operation>\n"
        ));
        bindings.push_str(&format!(
            "    <wsdl:operation name=\"{op}\"><soap:operation soapAction=\"{NS}/{op}\"/>\
             <wsdl:input><soap:body use=\"literal\"/></wsdl:input><wsdl:output><soap:body use=\"literal\"/></wsdl:output>\
             <wsdl:fault name=\"LoiNghiepVu\"><soap:fault name=\"LoiNghiepVu\" use=\"literal\"/></wsdl:fault></wsdl:operation>\n"
        ));
    }
    TEMPLATE
        .replace("{NS}", NS)
        .replace("{MAX}", &MAX_KEYS.to_string())
        .replace("{MESSAGES}", messages.trim_end())
        .replace("{OPERATIONS}", operations.trim_end())
        .replace("{BINDINGS}", bindings.trim_end())
        .replace("{ADDRESS}", &super::xml::esc(address))
}
