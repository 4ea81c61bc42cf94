"""The WSDL 1.1 (document/literal wrapped) of the simulated ERP, rendered with the service's address."""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

NS = "urn:acme:erp:v1"
OPERATIONS = ("CreateCustomer", "UpdateCustomer", "UpsertCustomer", "GetCustomer", "ListCustomers", "CreateOrder")
CUSTOMER_FIELDS = ("CustomerNumber", "Name", "CrmId", "VatId", "Country", "City", "PostalCode", "Email",
                   "CreditLimit", "PaymentTerms", "Blocked", "ModifiedAt")

_CUSTOMER_TYPE = "\n".join(
    f'          <xs:element name="{f}" type="xs:string" minOccurs="0"/>' for f in CUSTOMER_FIELDS)

_TYPES = f"""
      <xs:complexType name="Customer">
        <xs:sequence>
{_CUSTOMER_TYPE}
        </xs:sequence>
      </xs:complexType>
      <xs:complexType name="OrderLine">
        <xs:sequence>
          <xs:element name="Sku" type="xs:string"/>
          <xs:element name="Quantity" type="xs:int"/>
          <xs:element name="UnitPrice" type="xs:decimal" minOccurs="0"/>
        </xs:sequence>
      </xs:complexType>
      <xs:complexType name="Order">
        <xs:sequence>
          <xs:element name="CustomerNumber" type="xs:string"/>
          <xs:element name="ExternalRef" type="xs:string"/>
          <xs:element name="OrderDate" type="xs:date" minOccurs="0"/>
          <xs:element name="Currency" type="xs:string" minOccurs="0"/>
          <xs:element name="Lines">
            <xs:complexType><xs:sequence>
              <xs:element name="Line" type="tns:OrderLine" maxOccurs="unbounded"/>
            </xs:sequence></xs:complexType>
          </xs:element>
        </xs:sequence>
      </xs:complexType>
      <xs:complexType name="WriteResult">
        <xs:sequence>
          <xs:element name="CustomerNumber" type="xs:string"/>
          <xs:element name="Status" type="xs:string"/>
        </xs:sequence>
      </xs:complexType>
      <xs:element name="CreateCustomer"><xs:complexType><xs:sequence>
        <xs:element name="Customer" type="tns:Customer"/></xs:sequence></xs:complexType></xs:element>
      <xs:element name="CreateCustomerResponse" type="tns:WriteResult"/>
      <xs:element name="UpdateCustomer"><xs:complexType><xs:sequence>
        <xs:element name="CustomerNumber" type="xs:string"/>
        <xs:element name="Customer" type="tns:Customer"/></xs:sequence></xs:complexType></xs:element>
      <xs:element name="UpdateCustomerResponse" type="tns:WriteResult"/>
      <xs:element name="UpsertCustomer"><xs:complexType><xs:sequence>
        <xs:element name="Customer" type="tns:Customer"/></xs:sequence></xs:complexType></xs:element>
      <xs:element name="UpsertCustomerResponse" type="tns:WriteResult"/>
      <xs:element name="GetCustomer"><xs:complexType><xs:sequence>
        <xs:element name="CustomerNumber" type="xs:string"/></xs:sequence></xs:complexType></xs:element>
      <xs:element name="GetCustomerResponse"><xs:complexType><xs:sequence>
        <xs:element name="Customer" type="tns:Customer"/></xs:sequence></xs:complexType></xs:element>
      <xs:element name="ListCustomers"><xs:complexType><xs:sequence>
        <xs:element name="PageNumber" type="xs:int" minOccurs="0"/>
        <xs:element name="PageSize" type="xs:int" minOccurs="0"/>
        <xs:element name="ModifiedSince" type="xs:dateTime" minOccurs="0"/>
      </xs:sequence></xs:complexType></xs:element>
      <xs:element name="ListCustomersResponse"><xs:complexType><xs:sequence>
        <xs:element name="PageNumber" type="xs:int"/>
        <xs:element name="PageSize" type="xs:int"/>
        <xs:element name="TotalCount" type="xs:int"/>
        <xs:element name="TotalPages" type="xs:int"/>
        <xs:element name="HasMore" type="xs:boolean"/>
        <xs:element name="Customers"><xs:complexType><xs:sequence>
          <xs:element name="Customer" type="tns:Customer" minOccurs="0" maxOccurs="unbounded"/>
        </xs:sequence></xs:complexType></xs:element>
      </xs:sequence></xs:complexType></xs:element>
      <xs:element name="CreateOrder"><xs:complexType><xs:sequence>
        <xs:element name="Order" type="tns:Order"/></xs:sequence></xs:complexType></xs:element>
      <xs:element name="CreateOrderResponse"><xs:complexType><xs:sequence>
        <xs:element name="OrderNumber" type="xs:string"/>
        <xs:element name="Total" type="xs:decimal"/>
        <xs:element name="Status" type="xs:string"/>
      </xs:sequence></xs:complexType></xs:element>
      <xs:element name="ErpFault"><xs:complexType><xs:sequence>
        <xs:element name="ErrorCode" type="xs:string"/>
        <xs:element name="Field" type="xs:string" minOccurs="0"/>
        <xs:element name="ExistingNumber" type="xs:string" minOccurs="0"/>
      </xs:sequence></xs:complexType></xs:element>"""


def render_wsdl(address: str) -> str:
    messages = "\n".join(
        f'  <wsdl:message name="{op}Request"><wsdl:part name="parameters" element="tns:{op}"/></wsdl:message>\n'
        f'  <wsdl:message name="{op}Response"><wsdl:part name="parameters" element="tns:{op}Response"/>'
        "</wsdl:message>" for op in OPERATIONS)
    port_ops = "\n".join(
        f'    <wsdl:operation name="{op}"><wsdl:input message="tns:{op}Request"/>'
        f'<wsdl:output message="tns:{op}Response"/><wsdl:fault name="ErpFault" message="tns:ErpFault"/>'
        "</wsdl:operation>" for op in OPERATIONS)
    binding_ops = "\n".join(
        f'    <wsdl:operation name="{op}"><soap:operation soapAction="{NS}/{op}"/>'
        '<wsdl:input><soap:body use="literal"/></wsdl:input><wsdl:output><soap:body use="literal"/></wsdl:output>'
        '<wsdl:fault name="ErpFault"><soap:fault name="ErpFault" use="literal"/></wsdl:fault>'
        "</wsdl:operation>" for op in OPERATIONS)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<wsdl:definitions name="AcmeErp" targetNamespace="{NS}" xmlns:tns="{NS}"
    xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
    xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <wsdl:types>
    <xs:schema targetNamespace="{NS}" elementFormDefault="qualified">{_TYPES}
    </xs:schema>
  </wsdl:types>
{messages}
  <wsdl:message name="ErpFault"><wsdl:part name="fault" element="tns:ErpFault"/></wsdl:message>
  <wsdl:portType name="ErpPortType">
{port_ops}
  </wsdl:portType>
  <wsdl:binding name="ErpBinding" type="tns:ErpPortType">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
{binding_ops}
  </wsdl:binding>
  <wsdl:service name="ErpService">
    <wsdl:port name="ErpPort" binding="tns:ErpBinding"><soap:address location={quoteattr(address)}/></wsdl:port>
  </wsdl:service>
</wsdl:definitions>
"""
